#!/bin/sh
# Writes mcpkeeper's man page (roff) to stdout from the binary's own --help texts, so the page
# always says what the built binary does. Usage: scripts/manpage.sh path/to/mcpkeeper > mcpkeeper.1
set -eu
bin=$1

# roff-safe text: backslashes escaped, lines that start with . or ' protected.
escape() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
# The names listed under SUBCOMMANDS: in a --help text.
subcommands() { "$bin" "$@" --help | awk '/^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^[A-Z]/ {on=0}'; }
section() {
  printf '.SS "mcpkeeper %s"\n.nf\n' "$*"
  "$bin" "$@" --help | escape
  printf '.fi\n'
}

version=$("$bin" --version)
printf '.TH MCPKEEPER 1 "" "%s" "User Commands"\n' "$version"
printf '.SH NAME\nmcpkeeper \\- a protocol-conformance proxy and health monitor for MCP servers, built first for Notion'"'"'s\n'
printf '.SH SYNOPSIS\n.nf\n'
"$bin" --help | awk '/^USAGE:/ {sub(/^USAGE: */, ""); print; exit}' | escape
printf '.fi\n.SH DESCRIPTION\n.nf\n'
"$bin" --help | escape
printf '.fi\n.SH COMMANDS\n'
for command in $(subcommands); do
  [ "$command" = help ] && continue
  section "$command"
  for nested in $(subcommands "$command"); do
    [ "$nested" = help ] || section "$command" "$nested"
  done
done
printf '.SH FILES\n.TP\n.I ~/.mcpkeeper/\nstate: tokens, the listener key, probe history, the request log (0700)\n'
printf '.SH SEE ALSO\nREADME.md and docs/ in the source tree.\n'
