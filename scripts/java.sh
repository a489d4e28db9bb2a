#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
# A Java runtime for Spark in local mode (the drift statistics' distributed engine, run by
# tests/drift/test_spark.py).
#
#   scripts/java.sh     print the JAVA_HOME of a Java 17 or newer runtime
#
# Installs Debian's openjdk-17-jre-headless package when no such runtime is found (as
# root, with apt-get). Exit status 3: Java 17 or newer cannot be had here.
set -euo pipefail
# apt-get and the like live in sbin, which a plain PATH (as CI gives) lacks
export PATH="$PATH:/usr/sbin:/sbin"
MIN_MAJOR=17
PACKAGE=openjdk-17-jre-headless

# the JAVA_HOME of a runtime that is new enough: $JAVA_HOME, java on PATH, then Debian's
find_home() {
    local java home major
    for java in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" \
                /usr/lib/jvm/*/bin/java; do
        [ -n "$java" ] && [ -x "$java" ] || continue
        home=$(dirname "$(dirname "$(readlink -f "$java")")")
        # `java -version` prints e.g. openjdk version "17.0.15" (or "1.8.0_392") on stderr
        major=$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\)\.\{0,1\}.*/\1/p' \
                | head -n 1)
        if [ -n "$major" ] && [ "$major" -ge "$MIN_MAJOR" ]; then
            echo "$home"
            return 0
        fi
    done
    return 1
}

HOME_FOUND=$(find_home || true)
if [ -z "$HOME_FOUND" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's $PACKAGE package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PACKAGE" >&2 \
            || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -q "$PACKAGE" >&2; } || true
    fi
    HOME_FOUND=$(find_home || true)
    [ -n "$HOME_FOUND" ] || {
        echo "Java $MIN_MAJOR or newer is not installed and cannot be installed here" >&2
        exit 3
    }
fi
echo "$HOME_FOUND"
