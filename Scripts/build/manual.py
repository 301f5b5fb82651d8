#!/usr/bin/env python3
"""Writes gumbel(1), an mdoc man page, from the tool's own description of itself.

Usage: gumbel --experimental-dump-help | Scripts/build/manual.py VERSION > gumbel.1

The input is swift-argument-parser's tool description (JSON): every command's abstract and
discussion, and every option's names, value, default and allowed values, as `--help` prints them.
So the page needs no second build of the package (argument-parser's generate-manual plugin builds
every product again with its own flags), and it says what `--help` says: the defaults, and the
exit statuses of the root command's "Exit status:" paragraph. Paragraphs of a discussion that start
with "Examples:" become literal displays under EXAMPLES. The page has no blank lines and escapes
roff's control characters, so `groff -ww -mandoc -z` reports nothing.
"""
import datetime
import re
import json
import os
import sys


def escape(text):
    """Text for a roff text line: backslashes escaped, a leading control character neutralised."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text[:1] in (".", "'") else text


def paragraphs(discussion):
    if isinstance(discussion, dict):  # newer argument-parser versions wrap the text
        discussion = "\n\n".join(str(v) for v in discussion.values())
    return [p.strip("\n") for p in (discussion or "").split("\n\n") if p.strip()]


def text(lines, out):
    for line in lines.splitlines():
        out.append(escape(line.strip()) if line.strip() else ".Pp")


def literal(lines, out):
    out.append(".Bd -literal -offset indent")
    for line in lines.splitlines():
        out.append(escape(line.rstrip()) if line.strip() else "\\&")
    out.append(".Ed")


def names(argument):
    if argument["kind"] == "positional":
        return f"Ar {argument['valueName']}"
    spelled = []
    for name in sorted(argument.get("names", []), key=lambda n: n["kind"] != "short"):
        flag = name["name"] if name["kind"] == "short" else "-" + name["name"]
        spelled.append(f"Fl {flag}")
    result = " , ".join(spelled)
    if argument["kind"] == "option":
        result += f" Ar {argument['valueName']}"
    return result


def options(command, out):
    shown = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    if not shown:
        return
    out.append(".Bl -tag -width 6n")
    for argument in shown:
        out.append(f".It {names(argument)}")
        text(argument.get("abstract", ""), out)
        for paragraph in paragraphs(argument.get("discussion")):
            out.append(".Pp")
            text(paragraph, out)
        notes = []
        if argument.get("allValues"):
            notes.append("values: " + ", ".join(argument["allValues"]))
        if argument.get("defaultValue") is not None:
            notes.append(f"default: {argument['defaultValue']}")
        if notes:
            out.append(escape(f"({'; '.join(notes)})"))
    out.append(".El")


def synopsis(command, path):
    parts = [f".Nm {path[0]}"] + [f"Cm {name}" for name in path[1:]]
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True) or argument.get("valueName") in ("help", "version"):
            continue
        spelled = names(argument).split(" , ")[-1]
        parts.append(spelled if not argument.get("isOptional") else f"Oo {spelled} Oc")
    return " ".join(parts)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gumbel --experimental-dump-help | manual.py VERSION > gumbel.1")
    version = sys.argv[1]
    root = json.load(sys.stdin)["command"]
    name = root["commandName"]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch else datetime.date.today()
    out = [f".Dd {day.strftime('%B')} {day.day}, {day.year}", f".Dt {name.upper()} 1", f".Os {name} {version}",
           ".Sh NAME", f".Nm {name}", f".Nd {escape(root.get('abstract', ''))}", ".Sh SYNOPSIS"]
    subcommands = [c for c in root.get("subcommands", []) if c.get("shouldDisplay", True)]
    for command in subcommands:
        out.append(synopsis(command, [name, command["commandName"]]))
    out.append(f".Nm {name} Fl -version")
    out.append(f".Nm {name} Oo Ar subcommand Oc Fl -help")

    examples, exit_status = [], []
    out.append(".Sh DESCRIPTION")
    for paragraph in paragraphs(root.get("discussion")):
        if paragraph.startswith("Examples:"):
            examples.append(paragraph.split("\n", 1)[1] if "\n" in paragraph else "")
        elif paragraph.startswith("Exit status:"):
            exit_status.append(paragraph[len("Exit status:"):].strip())
        else:
            out.append(".Pp")
            text(paragraph, out)
    options(root, out)

    out.append(".Sh COMMANDS")
    out.append(".Bl -tag -width 6n")
    for command in subcommands:
        out.append(f".It Cm {command['commandName']}")
        text(command.get("abstract", ""), out)
        for paragraph in paragraphs(command.get("discussion")):
            if paragraph.startswith("Examples:"):
                examples.append(paragraph.split("\n", 1)[1] if "\n" in paragraph else "")
                continue
            out.append(".Pp")
            text(paragraph, out)
        out.append(".Pp")
        options(command, out)
    out.append(".El")

    out.append(".Sh EXIT STATUS")
    if exit_status:
        # "  CODE   meaning" lines become a tag list; other lines are text after it.
        items = [re.match(r"(\d+)\s{2,}(.*)", line.strip()) for p in exit_status for line in p.splitlines()]
        out.append(".Bl -tag -width Ds")
        for item in filter(None, items):
            out.append(f".It {item.group(1)}")
            out.append(escape(item.group(2)))
        out.append(".El")
        rest = [line.strip() for p in exit_status for line in p.splitlines()
                if line.strip() and not re.match(r"\d+\s{2,}", line.strip())]
        if rest:
            out.append(".Pp")
            text("\n".join(rest), out)
    else:
        out.append(".Ex -std")
    if examples:
        out.append(".Sh EXAMPLES")
        for block in examples:
            literal("\n".join(line[2:] if line.startswith("  ") else line for line in block.splitlines()), out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
