#!/usr/bin/env bash
# Fails when an #include crosses a layer the architecture forbids
# (docs/ARCHITECTURE.md): libwzp includes no GStreamer, plugin, daemon or
# client header; a plugin includes only its own files, plugins/gstwzp and
# libwzp; the daemon includes no GStreamer, plugin or client header; the
# client and tools include no daemon file and no plugin but plugins/gstwzp;
# nothing in the product includes tests/. Lists each violation as
# file:line: include.
set -euo pipefail
cd "$(dirname "$0")/.."

git ls-files -z 'libwzp/*' 'plugins/*' 'signald/*' 'client/*' 'tools/*' 'web/*' |
  grep -zE '\.(c|cc|cpp|h|hpp|in)$' |
  xargs -0 grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' |
  awk -F: '
    {
      file = $1; line = $2; target = $0
      sub(/^[^:]*:[^:]*:[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]/, "", target)
      sub(/[>"].*$/, "", target)
      split(file, part, "/"); top = part[1]
      why = ""
      if (target ~ /^tests\//) why = "product code must not include tests"
      else if (top == "libwzp" && target ~ /^(plugins|signald|client|tools|web|gst)\//)
        why = "libwzp stays below plugins, daemon and client, and free of GStreamer"
      else if (top == "plugins" && target ~ /^plugins\// && target !~ "^plugins/(gstwzp|" part[2] ")/")
        why = "a plugin includes only its own headers and plugins/gstwzp"
      else if (top == "plugins" && target ~ /^(signald|client|tools|web)\//)
        why = "plugins must not include the daemon or the client"
      else if (top == "signald" && target ~ /^(plugins|client|web|gst)\//)
        why = "the daemon uses libwzp only"
      else if (top == "client" && target ~ /^web\//)
        why = "the client does not include the bridge built on it"
      else if ((top == "client" || top == "tools" || top == "web") && target ~ /^signald\//)
        why = "the client and tools do not include the daemon"
      else if ((top == "client" || top == "tools" || top == "web") && target ~ /^plugins\// && target !~ /^plugins\/gstwzp\//)
        why = "the client reaches elements through GStreamer, not their headers"
      if (why != "") { printf "layering: %s:%s: %s: %s\n", file, line, target, why; bad++ }
    }
    END {
      if (bad) { printf "layering: %d violation(s)\n", bad; exit 1 }
      print "layering: ok"
    }'
