#!/bin/sh
# Refresh the vendored ALTCHA widget (the bot check's browser half) from npm:
#   sh scripts/vendor_altcha.sh [version]
# It takes the build for a strict CSP (dist/external: no inline workers or styles), the
# PBKDF2 worker it runs the proof of work in, the German texts and the licence, unchanged,
# into virtual_office/server/static/vendor/altcha/, and notes the version in its README.
set -eu
cd "$(dirname "$0")/.."
version=${1:-$(npm view altcha version)}
target=virtual_office/server/static/vendor/altcha
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "altcha@$version" >/dev/null && tar xzf "altcha-$version.tgz")
dist="$work/package/dist"
mkdir -p "$target"
cp "$dist/external/altcha.min.js" "$target/altcha.min.js"
cp "$dist/external/altcha.css" "$target/altcha.css"
cp "$dist/workers/pbkdf2.js" "$target/pbkdf2.js"
cp "$dist/i18n/de.js" "$target/de.js"
cp "$work/package/LICENSE.txt" "$target/LICENSE.altcha"
sed -i "s/^ALTCHA_VERSION = .*/ALTCHA_VERSION = \"$version\"/" virtual_office/server/botcheck.py
sed -i "s/\*\*[0-9][0-9.]*\*\*/**$version**/" "$target/README.md"
echo "altcha $version vendored into $target"
