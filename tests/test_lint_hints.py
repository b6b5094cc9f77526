"""Hints when ``scan`` is given the wrong kind of input: a proxy configuration, or a custom-format log."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lpdoctor.cli import main


def scan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_nginx_conf_given_to_scan_points_at_check_config() -> None:
    code, out, err = scan("samples/matrix-504/nginx.conf")
    assert code == 2 and out == ""
    assert "samples/matrix-504/nginx.conf: this is an nginx configuration, not a log" in err
    assert "lpdoctor check-config samples/matrix-504/nginx.conf" in err
    assert "--nginx-conf samples/matrix-504/nginx.conf" in err


def test_a_haproxy_cfg_given_to_scan_is_named_too() -> None:
    code, _, err = scan("tests/fixtures/configs/haproxy/haproxy.cfg")
    assert code == 2 and "this is a haproxy configuration, not a log" in err


def test_a_custom_format_log_names_log_format_and_shows_the_first_line(tmp_path: Path) -> None:
    log = tmp_path / "custom.log"
    log.write_text("\n2026-06-12|203.0.113.7|GET /poll|504|30.001\n2026-06-12|203.0.113.7|GET /poll|200|0.2\n")
    code, _, err = scan(str(log))
    assert code == 2
    assert "no line in a known format" in err and "--log-format" in err and "--nginx-conf" in err
    assert "line 2 reads: 2026-06-12|203.0.113.7|GET /poll|504|30.001" in err


def test_the_line_shown_is_sanitised(tmp_path: Path) -> None:
    log = tmp_path / "custom.log"
    log.write_bytes(b"\x1b]0;owned\x07GET /sync?access_token=syt_secret_value_123 \x1b[31mred\n")
    code, _, err = scan(str(log))
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err
    assert "syt_secret_value_123" not in err and "line 1 reads:" in err


def test_standard_input_is_not_read_again() -> None:
    result = CliRunner().invoke(main, ["scan", "-"], input="not a log line\n", catch_exceptions=False)
    assert result.exit_code == 2
    assert "-: no line in a known format" in result.stderr and "--log-format" in result.stderr
    assert "reads:" not in result.stderr  # standard input is consumed: it is not read again
