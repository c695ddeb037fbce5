"""The CloudFront client: create invalidations in batches within CloudFront's limits,
retry what CloudFront asks to retry, wait for them, read the distribution's domain and
origins. The path algebra is pure and lives in cdnpub.sync.invalidation."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from cdnpub.aws.clients import ACCESS_DENIED, Connection, aws_client, error_code, error_message, retries
from cdnpub.errors import RemoteError, UserError
from cdnpub.sync.invalidation import Invalidation, T, batches, caller_reference
from cdnpub.urls import invalidation_path as invalidation_path

if TYPE_CHECKING:  # botocore is imported where it is used (see store.py)
    from botocore.exceptions import ClientError
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudfront.type_defs import DistributionTypeDef, InvalidationTypeDef


def _invalidation(data: InvalidationTypeDef) -> Invalidation:
    batch = data["InvalidationBatch"]
    return Invalidation(
        id=data["Id"],
        status=data["Status"],
        paths=tuple(batch["Paths"].get("Items", ())),
        caller_reference=batch["CallerReference"],
    )


# Retried by our loop: TooManyInvalidationsInProgress clears only when earlier
# invalidations complete (minutes, not milliseconds). Throttling and 5xx are left to
# botocore's standard retry mode, so a failing endpoint is not retried twice over.
_RETRY_CODES = frozenset({"TooManyInvalidationsInProgress"})


_CREDENTIAL_CODES = frozenset(
    {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException"}
)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class CloudFront:
    """One distribution's invalidations, with botocore errors turned into cdnpub's."""

    def __init__(
        self,
        client: CloudFrontClient,
        distribution_id: str,
        *,
        max_attempts: int = 10,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        poll_interval: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self.distribution_id = distribution_id
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock
        self._distribution: DistributionTypeDef | None = None

    # -- distribution -------------------------------------------------------------

    def _get_distribution(self) -> DistributionTypeDef:
        if self._distribution is None:
            response = self._call(
                "GetDistribution", partial(self._client.get_distribution, Id=self.distribution_id)
            )
            self._distribution = response["Distribution"]
        return self._distribution

    def domain_name(self) -> str:
        """The distribution's `*.cloudfront.net` name (one GetDistribution, then cached)."""
        return self._get_distribution()["DomainName"]

    def viewer_hosts(self) -> tuple[str, ...]:
        """The host names viewers reach the distribution by: its own name, then its aliases."""
        distribution = self._get_distribution()
        aliases = distribution["DistributionConfig"].get("Aliases", {}).get("Items", [])
        return (distribution["DomainName"], *aliases)

    def origin_domains(self) -> tuple[str, ...]:
        origins = self._get_distribution()["DistributionConfig"]["Origins"].get("Items", [])
        return tuple(o["DomainName"] for o in origins)

    def serves_bucket(self, bucket: str) -> bool:
        """Whether an origin is this bucket, so the caller can warn when none is."""
        return any(d.startswith(bucket + ".s3") for d in self.origin_domains())

    # -- invalidations ------------------------------------------------------------

    def invalidate(self, paths: Sequence[str], release_id: str) -> tuple[Invalidation, ...]:
        """Create one invalidation per batch of `paths`; nothing to do sends nothing.

        The CallerReference depends only on the release and the batch, so running the
        same publish again returns the existing invalidations instead of paying twice.
        """
        groups = batches(paths)
        created = []
        for index, batch in enumerate(groups):
            reference = caller_reference(release_id, batch)
            if len(groups) > 1:
                reference += f"-{index}"
            response = self._call(
                "CreateInvalidation",
                partial(
                    self._client.create_invalidation,
                    DistributionId=self.distribution_id,
                    InvalidationBatch={
                        "Paths": {"Quantity": len(batch), "Items": list(batch)},
                        "CallerReference": reference,
                    },
                ),
            )
            created.append(_invalidation(response["Invalidation"]))
        return tuple(created)

    def wait(
        self,
        invalidations: Sequence[Invalidation],
        timeout: float,
        on_poll: Callable[[Invalidation], None] | None = None,
    ) -> tuple[Invalidation, ...]:
        """Poll until every invalidation completes; RemoteError past `timeout` seconds."""
        latest = {inv.id: inv for inv in invalidations}
        deadline = self._clock() + timeout
        while True:
            for inv_id, inv in latest.items():
                if inv.completed:
                    continue
                response = self._call(
                    "GetInvalidation",
                    partial(
                        self._client.get_invalidation,
                        DistributionId=self.distribution_id,
                        Id=inv_id,
                    ),
                )
                latest[inv_id] = _invalidation(response["Invalidation"])
                if on_poll is not None:
                    on_poll(latest[inv_id])
            pending = [inv for inv in latest.values() if not inv.completed]
            if not pending:
                return tuple(latest[inv.id] for inv in invalidations)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise RemoteError(
                    f"invalidation {pending[0].id} on CloudFront distribution "
                    f"{self.distribution_id} did not complete within {timeout:g}s; "
                    "it keeps running at CloudFront"
                )
            self._sleep(min(self._poll_interval, remaining))

    # -- errors and retries -------------------------------------------------------

    def _call(self, action: str, request: Callable[[], T]) -> T:
        """Run `request`, retrying what waiting can fix, mapping the rest to cdnpub errors."""
        from botocore.exceptions import (
            ClientError,
            HTTPClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )
        from botocore.exceptions import ConnectionError as BotoConnectionError

        for attempt in range(1, self._max_attempts + 1):
            try:
                return request()
            except ClientError as err:
                if attempt < self._max_attempts and self._retryable(err):
                    delay = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
                    self._sleep(random.uniform(delay / 2, delay))  # jitter spreads retries
                    continue
                raise self._client_error(action, err, attempt) from err
            except (NoCredentialsError, PartialCredentialsError) as err:
                raise UserError(
                    f"no usable AWS credentials for CloudFront distribution "
                    f"{self.distribution_id} (set AWS_PROFILE or use --profile)"
                ) from err
            except (BotoConnectionError, HTTPClientError) as err:
                raise RemoteError(
                    f"cannot reach CloudFront for distribution {self.distribution_id}: {_one_line(str(err))}"
                ) from err
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retryable(err: ClientError) -> bool:
        return error_code(err) in _RETRY_CODES

    def _client_error(self, action: str, err: ClientError, attempts: int) -> Exception:
        dist = self.distribution_id
        code = error_code(err)
        message = _one_line(error_message(err))
        if code == "NoSuchDistribution":
            return UserError(f"CloudFront distribution {dist} does not exist (check --distribution-id)")
        if code in ACCESS_DENIED:
            return UserError(
                f"access denied to CloudFront distribution {dist}: the credentials need cloudfront:{action}"
            )
        if code in _CREDENTIAL_CODES:
            return UserError(f"AWS rejected the credentials for CloudFront distribution {dist} ({code})")
        if code == "InvalidationBatchAlreadyExists":
            # The reference hashes the release id and the batch's paths, so this means
            # something other than this release used it: never reuse it silently.
            return RemoteError(
                f"CloudFront distribution {dist} already holds a different invalidation "
                f"under the same CallerReference: {message}"
            )
        if code == "TooManyInvalidationsInProgress":
            return RemoteError(
                f"CloudFront distribution {dist} still had too many invalidations in "
                f"progress after {attempts} attempts; try again when they complete"
            )
        return RemoteError(f"CloudFront distribution {dist}: {action} failed: {code}: {message}")


def cloudfront_client(conn: Connection) -> CloudFrontClient:
    """CloudFront is global: its API lives in us-east-1 whatever the bucket's region."""
    from botocore.config import Config

    config = Config(retries=retries(), connect_timeout=10, read_timeout=60)
    client: CloudFrontClient = aws_client("cloudfront", conn, config, region="us-east-1")
    return client
