"""The smultron command against the test database (DATABASE_URL)."""

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from smultron import cli, create_app
from smultron.core.config import ConfigError
from smultron.models import ApiToken, Place, Preschool, User


@pytest.fixture
def smultron(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(cli, "INSTANCE", tmp_path)
    runner = CliRunner()

    def run(*args, stdin=None):
        return runner.invoke(cli.main, list(args), input=stdin, catch_exceptions=False)

    return run


def test_user_create_reads_the_password_from_stdin_and_can_log_in(
        smultron, db, world, client, auth):
    result = smultron("user", "create", "x@example.org", "--role", "staff",
                      "--preschool", "Förskolan A", stdin="a long password\n")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "x@example.org"))
    assert [p.name for p in user.preschools] == ["Förskolan A"]
    assert auth.login("x@example.org", "a long password").status_code == 302


@pytest.mark.parametrize("args,message", [
    (("--role", "staff"), "at least one preschool"),
    (("--role", "staff", "--preschool", "Finns Inte"), "no preschool called"),
])
def test_user_create_explains_what_is_wrong(smultron, world, args, message):
    result = smultron("user", "create", "y@example.org", *args, stdin="a long password\n")
    assert result.exit_code == 1
    assert message in result.output


def test_a_short_password_is_refused(smultron, world):
    result = smultron("user", "create", "z@example.org", "--role", "planner", stdin="short\n")
    assert result.exit_code == 1 and "too short" in result.output


def test_token_create_prints_a_token_that_works(smultron, app, db, world):
    result = smultron("token", "create", world.email("planner"))
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("smt_")
    assert db.scalar(select(func.count(ApiToken.id))) == 1
    response = app.test_client().get("/home", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_demo_is_idempotent(smultron, db, tmp_path):
    first = smultron("demo")
    assert first.exit_code == 0, first.output
    counts = (db.scalar(select(func.count(Preschool.id))),
              db.scalar(select(func.count(Place.id))))
    assert counts[0] == 8 and 250 <= counts[1] <= 350
    assert "staff@example.org" in (tmp_path / "demo-accounts.txt").read_text()
    assert smultron("demo").exit_code == 0
    assert (db.scalar(select(func.count(Preschool.id))),
            db.scalar(select(func.count(Place.id)))) == counts
    assert "no demo data" in smultron("demo", "--if-empty").output


def test_demo_staff_account_logs_in(smultron, tmp_path, client, auth):
    smultron("demo")
    password = (tmp_path / "demo-accounts.txt").read_text().split("password: ")[1].strip()
    assert auth.login("staff@example.org", password).status_code == 302


def test_preschools_import_reports_bad_rows(smultron, db, world, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("name,lon,lat\nFörskolan C,20.2,67.8\nFörskolan D,abc,67.8\n")
    result = smultron("preschools", "import", str(path))
    assert result.exit_code == 1
    assert "Row 3: The longitude must be a number" in result.output
    assert db.scalar(select(func.count(Preschool.id))) == 2  # only the world's two


def test_db_upgrade_is_repeatable(smultron):
    assert smultron("db", "upgrade").exit_code == 0
    assert "up to date" in smultron("db", "upgrade").output


@pytest.mark.parametrize("variable,value,message", [
    ("SMULTRON_ANONYMITY_THRESHOLD", "1", "SMULTRON_ANONYMITY_THRESHOLD must be 2 or more"),
    ("SMULTRON_ENV", "staging", "SMULTRON_ENV must be"),
    ("SMULTRON_PROXY_HOPS", "-1", "SMULTRON_PROXY_HOPS must be"),
    ("SMULTRON_PHOTO_STORE", "ftp://photos", "SMULTRON_PHOTO_STORE must be"),
    ("SMULTRON_PHOTO_STORE_ENDPOINT", "https://s3.kommun.se", "SMULTRON_PHOTO_STORE is not"),
])
def test_the_cli_checks_the_configuration_as_the_web_app_does(
        smultron, world, tmp_path, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):  # what the web app says
        create_app()
    out = tmp_path / "places.gpkg"
    result = smultron("export", str(out))
    assert result.exit_code == 1
    assert message in result.output and not out.exists()


@pytest.mark.parametrize("env,message", [
    ({"SMULTRON_PHOTO_STORE": "s3://"}, "SMULTRON_PHOTO_STORE must be"),
    ({"SMULTRON_PHOTO_STORE": "s3://photos/x",
      "SMULTRON_PHOTO_STORE_ENDPOINT": "http://s3.kommun.se"}, "must be an https:// address"),
    ({"SMULTRON_PHOTO_STORE": "s3://photos/x", "SMULTRON_PHOTO_STORE_ADDRESSING": "dns"},
     "SMULTRON_PHOTO_STORE_ADDRESSING must be"),
])
def test_a_wrong_photo_store_stops_the_start(env, message):
    from smultron.core import config

    with pytest.raises(ConfigError, match=message):
        config.check(config.from_environment(env))


def test_the_photo_store_settings():
    from smultron.core import config
    from smultron.photos import store

    assert store.parse(config.from_environment({})) is None  # PostgreSQL, as before
    assert store.parse(config.from_environment({"SMULTRON_PHOTO_STORE": "postgresql"})) is None
    settings = store.parse(config.from_environment({
        "SMULTRON_PHOTO_STORE": "s3://smultron-photos/kiruna/",
        "SMULTRON_PHOTO_STORE_ENDPOINT": "https://s3.kommun.se"}))
    assert (settings.bucket, settings.prefix) == ("smultron-photos", "kiruna/")
    assert settings.endpoint == "https://s3.kommun.se" and settings.addressing == "path"
    config.check(config.from_environment({"SMULTRON_PHOTO_STORE": "s3://smultron-photos"}))
