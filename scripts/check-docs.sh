#!/usr/bin/env bash
# Checks that the docs say only what works:
#   links     every relative link in README.md, CONTRIBUTING.md, docs/*.md, Benchmarks/README.md and
#             probes/README.md
#             names a file in the repository, and every #anchor a heading of its target
#             (GitHub's slugs);
#   commands  every mcpkeeper command in a fenced shell or console block (untagged blocks count as
#             shell), and every `"command": "…/mcpkeeper", "args": […]` of a ```json client config,
#             names a real subcommand chain (listed under SUBCOMMANDS, and `BIN SUB [SUB2] --help`
#             exits 0) and only options that chain's --help lists;
#   configs   every ```json block right after a `<!-- config-check -->` line passes
#             `BIN config check`.
# Usage: bash scripts/check-docs.sh BIN   (e.g. .build/debug/mcpkeeper)
# Prints what it checked; each failure as FILE:LINE: reason; exits 1 if any check failed.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: bash scripts/check-docs.sh PATH/TO/mcpkeeper" >&2
    exit 2
fi
bin=$1
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "check-docs: $bin is not an executable; build first (swift build)" >&2
    exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

exec python3 - "$bin" <<'PY'
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unicodedata

BIN = sys.argv[1]
ROOT = os.getcwd()
DOCS = ["README.md", "CONTRIBUTING.md", "Benchmarks/README.md", "probes/README.md"] + sorted(
    os.path.join("docs", name) for name in os.listdir("docs") if name.endswith(".md"))
MARKER = "<!-- config-check -->"
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "zsh", "console"}

failures = []
counts = {"links": 0, "anchors": 0, "commands": 0, "configs": 0}


def fail(path, line, reason):
    failures.append(f"{path}:{line}: {reason}")


# --- Markdown structure -------------------------------------------------------------------------

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")


def scan(path):
    """The file's lines outside fences, and its fenced blocks as (info, first line number, lines, preceding line)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    prose, blocks = [], []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        fence, info = m.group(1), m.group(2).lower()
        indent = len(lines[i]) - len(lines[i].lstrip())
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence[0] * len(fence)):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        blocks.append((info, start + 1, body, previous, start))
        i += 1
    return prose, blocks


def slug(heading):
    """GitHub's anchor for a heading: rendered text, lowercased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                        # inline HTML
    text = text.replace("`", "").replace("*", "")
    text = text.strip().lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in " -_" or category[0] in "LN" or category in ("Mn", "Mc", "Pc"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


anchor_cache = {}


def anchors(path):
    if path not in anchor_cache:
        prose, _ = scan(path)
        seen, result = {}, set()
        for _, line in prose:
            m = re.match(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            result.add(base if n == 0 else f"{base}-{n}")
        anchor_cache[path] = result
    return anchor_cache[path]


# --- (a) links ----------------------------------------------------------------------------------

INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_LINK = re.compile(r"<a\s[^>]*href=\"([^\"]+)\"", re.IGNORECASE)


def check_link(doc, number, target):
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return  # http:, https:, mailto: …: not ours to check offline
    counts["links"] += 1
    path_part, _, anchor = target.partition("#")
    if path_part:
        resolved = os.path.normpath(os.path.join(os.path.dirname(doc), path_part))
        if resolved == ".." or resolved.startswith(".." + os.sep) or os.path.isabs(path_part):
            fail(doc, number, f"link {target}: leaves the repository (a user's clone has only the repository)")
            return
        if not os.path.exists(resolved):
            fail(doc, number, f"link {target}: {resolved} does not exist")
            return
    else:
        resolved = doc
    if anchor:
        counts["anchors"] += 1
        if not resolved.endswith(".md") or os.path.isdir(resolved):
            fail(doc, number, f"link {target}: #{anchor} points into {resolved}, which is not a Markdown file")
        elif anchor not in anchors(resolved):
            fail(doc, number, f"link {target}: {resolved} has no heading whose anchor is #{anchor}")


def check_links(doc):
    prose, _ = scan(doc)
    for number, line in prose:
        text = re.sub(r"(`+)(?:(?!\1).)+\1", "", line)  # code spans hold no links
        for regex in (INLINE_LINK, REFERENCE_DEF, HTML_LINK):
            for m in regex.finditer(text):
                check_link(doc, number, m.group(1))


# --- (b) commands -------------------------------------------------------------------------------

help_cache = {}


def run_help(chain):
    key = tuple(chain)
    if key not in help_cache:
        try:
            done = subprocess.run([BIN, *chain, "--help"], capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
            help_cache[key] = (done.returncode, done.stdout + done.stderr)
        except subprocess.TimeoutExpired:
            help_cache[key] = (124, "timed out")
    return help_cache[key]


def subcommands(help_text):
    m = re.search(r"^SUBCOMMANDS:\n((?:  .*\n|\n)*)", help_text, re.MULTILINE)
    if not m:
        return set()
    names = {line.split()[0] for line in m.group(1).splitlines()
             if line.startswith("  ") and not line.startswith("   ") and line.split()}
    return {name for name in names if re.fullmatch(r"[a-z][a-z0-9-]*", name) and name != "help"}


def options(help_text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text))


def commands_in(block):
    """Each shell command of a block with its line number; in a console transcript only the `$ ` lines."""
    console = any(line.startswith("$ ") for line in block)
    result, current, start = [], "", None
    for offset, line in enumerate(block):
        if console and current == "" and not line.startswith("$ "):
            continue
        if current == "":
            start = offset
            line = line[2:] if console else line
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        result.append((start, current + line))
        current = ""
    if current:
        result.append((start, current))
    return result


SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")", ">", ">>", "<", "2>", "<<", "|&"}
LEADERS = {"sudo", "exec", "time", "nohup", "env", "xargs", "--", "run", "-q"}


def words(command):
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    out = []
    try:
        for word in lexer:
            if word.startswith("#"):
                break
            out.append(word)
    except ValueError:
        out = command.split()
    return out


def check_invocation(doc, number, args):
    counts["commands"] += 1
    shown = " ".join(["mcpkeeper", *args])[:80]
    if not args:
        fail(doc, number, "`mcpkeeper` with no subcommand")
        return
    if args[0].startswith("-"):
        if args[0] not in ("--version", "--help", "-h"):
            fail(doc, number, f"`{shown}`: {args[0]} is not an option of mcpkeeper itself")
        return
    # --help exits 0 even after an unknown name (it shows the nearest command's help), so each name
    # must also be listed under its parent's SUBCOMMANDS.
    top = subcommands(run_help([])[1])
    if args[0] not in top:
        fail(doc, number, f"`{shown}`: mcpkeeper has no subcommand {args[0]} (it has {', '.join(sorted(top))})")
        return
    chain, rest = [args[0]], args[1:]
    code, text = run_help(chain)
    if code != 0:
        fail(doc, number, f"`{shown}`: `mcpkeeper {args[0]} --help` exited {code}")
        return
    nested = subcommands(text)
    if nested:
        if not rest or rest[0] not in nested:
            got = rest[0] if rest else "nothing"
            fail(doc, number, f"`{shown}`: {args[0]} needs one of {', '.join(sorted(nested))}, got {got}")
            return
        chain.append(rest[0])
        rest = rest[1:]
        code, text = run_help(chain)
        if code != 0:
            fail(doc, number, f"`{shown}`: `mcpkeeper {' '.join(chain)} --help` exited {code}")
            return
    known = options(text)
    for word in rest:
        if word == "--":
            break
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            if name not in known:
                fail(doc, number, f"`{shown}`: `mcpkeeper {' '.join(chain)}` has no option {name}")


def client_entries(value):
    """Objects of a JSON document that run mcpkeeper as a client config does: command + args."""
    if isinstance(value, dict):
        command, args = value.get("command"), value.get("args")
        if isinstance(command, str) and (command == "mcpkeeper" or command.endswith("/mcpkeeper")) \
                and isinstance(args, list) and all(isinstance(a, str) for a in args):
            yield args
        for member in value.values():
            yield from client_entries(member)
    elif isinstance(value, list):
        for element in value:
            yield from client_entries(element)


def check_commands(doc):
    _, blocks = scan(doc)
    for info, first, body, _, _ in blocks:
        if info == "json":
            try:
                document = json.loads("\n".join(body))
            except ValueError:
                continue  # a fragment, not a whole document
            for args in client_entries(document):
                check_invocation(doc, first, args)
            continue
        if info not in SHELL_LANGUAGES:
            continue
        for offset, command in commands_in(body):
            tokens = words(command)
            for i, token in enumerate(tokens):
                if token != "mcpkeeper" and not token.endswith("/mcpkeeper") or "=" in token:
                    continue
                previous = tokens[i - 1] if i else None
                starts_command = (previous is None or previous in SEPARATORS or previous in LEADERS
                                  or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", previous or "") is not None)
                if token.endswith("/mcpkeeper") and previous == "--executable":
                    starts_command = False
                if not starts_command:
                    continue
                args = []
                for word in tokens[i + 1:]:
                    if word in SEPARATORS:
                        break
                    args.append(word)
                check_invocation(doc, first + offset, args)


# --- (c) configs --------------------------------------------------------------------------------

def check_configs(doc):
    prose, blocks = scan(doc)
    marked_fences = {start for _, _, _, previous, start in blocks if previous == MARKER}
    for number, line in prose:
        if line.strip() == MARKER and not any(start > number and all(
                not text.strip() for n, text in prose if number < n < start) for start in marked_fences):
            fail(doc, number, f"{MARKER} is not followed by a fenced block")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="check-docs-") as home:
        env["HOME"] = home
        for info, first, body, previous, _ in blocks:
            if previous != MARKER:
                continue
            counts["configs"] += 1
            if info != "json":
                fail(doc, first - 1, f"a {MARKER} block must be ```json, not ```{info or '(none)'}")
                continue
            path = os.path.join(home, "config.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(body) + "\n")
            done = subprocess.run([BIN, "config", "check", path], capture_output=True, text=True, env=env,
                                  timeout=30, stdin=subprocess.DEVNULL, cwd=home)
            if done.returncode != 0:
                report = (done.stdout + done.stderr).replace(path, "(block)").strip().replace("\n", "; ")
                fail(doc, first - 1, f"config check failed: {report}")


print(f"check-docs: with {BIN}")
totals = dict.fromkeys(counts, 0)
for doc in DOCS:
    if not os.path.exists(doc):
        fail(doc, 0, "missing")
        continue
    counts = dict.fromkeys(counts, 0)
    before = len(failures)
    check_links(doc)
    check_commands(doc)
    check_configs(doc)
    failures[before:] = sorted(failures[before:], key=lambda f: int(f.split(":")[1]))
    print(f"  {doc}: {counts['links']} relative links ({counts['anchors']} with anchors), "
          f"{counts['commands']} mcpkeeper commands, {counts['configs']} config blocks")
    for key in totals:
        totals[key] += counts[key]
print(f"check-docs: {len(DOCS)} files, {totals['links']} links, {totals['commands']} commands, "
      f"{totals['configs']} config blocks")
for failure in failures:
    print(failure)
if failures:
    print(f"check-docs: {len(failures)} problem{'s' if len(failures) != 1 else ''}")
    sys.exit(1)
print("check-docs: OK")
PY
