"""Where a release comes from, recorded in its release record (release.Provenance): the
source revision and the CI run that published it, from the variables the usual CI
services set, else `git rev-parse HEAD` in the static folder's repository; and the
cdnpub version. Never failing: a value that cannot be found is None. Here, not in sync/:
it reads the environment and runs git (sync's core reads and writes only through its ports).

CI variables read (each service's documented names):
- GitHub Actions: GITHUB_SHA; the run GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID
- GitLab CI: CI_COMMIT_SHA; CI_JOB_URL (else CI_PIPELINE_URL)
- Azure Pipelines: BUILD_SOURCEVERSION; SYSTEM_COLLECTIONURI + SYSTEM_TEAMPROJECT + BUILD_BUILDID
- CircleCI: CIRCLE_SHA1; CIRCLE_BUILD_URL
- Bitbucket Pipelines: BITBUCKET_COMMIT; BITBUCKET_BUILD_NUMBER
- Jenkins: GIT_COMMIT; BUILD_URL
- Buildkite: BUILDKITE_COMMIT; BUILDKITE_BUILD_URL
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping

from cdnpub import __version__
from cdnpub.sync.release import Provenance

GIT_TIMEOUT = 2.0  # seconds: a hung git (a network filesystem, a lock) never holds a publish


_REVISIONS = ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_SOURCEVERSION", "CIRCLE_SHA1", "BITBUCKET_COMMIT",
              "BUILDKITE_COMMIT", "GIT_COMMIT")  # fmt: skip


_RUNS = ("CI_JOB_URL", "CI_PIPELINE_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL", "BUILD_URL")


_HEX = re.compile(r"[0-9a-fA-F]{7,64}")


_MAX = 500  # characters of a recorded value: a variable is the user's, not a document


def provenance(folder: str | None, env: Mapping[str, str] | None = None) -> Provenance:
    """The provenance of a publish of `folder` (a static folder; None: no git fallback)
    under `env` (default: the process environment)."""
    env = os.environ if env is None else env
    revision = _first(env, _REVISIONS)
    if revision is None and folder is not None:
        revision = git_revision(folder)
    return Provenance(revision, ci_run(env), __version__)


def ci_run(env: Mapping[str, str]) -> str | None:
    """The CI run's URL (or Bitbucket's build number), or None outside CI."""
    server, repo, run = (env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if server and repo and run:
        return _clean(f"{server.rstrip('/')}/{repo}/actions/runs/{run}")
    azure = ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID")
    collection, project, build = (env.get(k) for k in azure)
    if collection and project and build:
        return _clean(f"{collection.rstrip('/')}/{project}/_build/results?buildId={build}")
    found = _first(env, _RUNS)
    if found is None and env.get("BITBUCKET_BUILD_NUMBER"):
        return _clean(f"bitbucket build {env['BITBUCKET_BUILD_NUMBER']}")
    return found


def git_revision(folder: str) -> str | None:
    """`git rev-parse HEAD` run in `folder`: None when git is missing, the folder is in
    no repository, or git takes longer than GIT_TIMEOUT."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and _HEX.fullmatch(out) else None


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = _clean(env.get(name) or "")
        if value:
            return value
    return None


def _clean(value: str) -> str | None:
    value = value.strip()[:_MAX]
    return value if value and value.isprintable() else None
