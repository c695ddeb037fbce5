"""What tests share besides fixtures: plain helpers and data, imported as
`from tests.support.<module> import ...`.

The rule: no test module imports another test module or a conftest.py; a helper two
test modules need lives here, and conftest.py files hold only fixtures (and hooks).
"""
