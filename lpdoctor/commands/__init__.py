"""One module per command; :data:`COMMANDS` is what ``lpdoctor`` offers.

Each command is named here with the module that defines it, and that module is imported only when its command
is needed: ``lpdoctor scan`` does not pay for the HTTP client of ``probe``, the config readers of
``check-config`` or the Markdown renderer of ``explain``.
"""

from __future__ import annotations

# command name -> "module:attribute", relative to this package, in the order ``lpdoctor --help`` had them
COMMANDS: dict[str, str] = {
    "scan": ".scan:scan_command",
    "merge": ".merge:merge_command",
    "check-config": ".check_config:check_config_command",
    "probe": ".probe:probe_command",
    "rules": ".rules:rules_command",
    "explain": ".rules:explain_command",
    "formats": ".formats:formats_command",
    "config": ".config:config_command",
}
