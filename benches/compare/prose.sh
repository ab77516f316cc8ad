#!/usr/bin/env bash
# Fetches real English prose from Debian's documentation packages and lays
# it out as plain text files under DIR (default target/prose), for
# `textdup synth --from DIR`. Idempotent: a complete DIR is left as it is.
#
# What it takes, all from Debian 12 (bookworm) packages:
#   linux-source-6.1     Documentation/**/*.rst, *.txt      GPL-2.0
#   python3.11-doc       html/_sources/**/*.rst.txt         PSF-2.0
#   perl-doc             pod/*.pod                          GPL-1+ or Artistic
#   python-sqlalchemy-doc  **/*.rst                         MIT
#   python-django-doc    paragraphs of html/**/*.html       BSD-3-Clause
# About 72 MB of text; enough for 100,000 synthesized documents with
# `--words 40-250 --share 0.5`.
set -euo pipefail
dir=${1:-target/prose}
if [ -f "$dir/.complete" ]; then
    echo "prose: $dir is ready"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir"
cd "$work"
packages="linux-source-6.1 python3.11-doc perl-doc python-sqlalchemy-doc python-django-doc"
# A security update removes the version an old package list names from the
# mirror: refresh the list once and try again.
# shellcheck disable=SC2086
apt-get download $packages >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download $packages >/dev/null; }
for deb in *.deb; do
    mkdir -p "x/${deb%%_*}"
    dpkg-deb -x "$deb" "x/${deb%%_*}"
done
out=$(cd - >/dev/null && cd "$dir" && pwd)

mkdir -p "$out/linux" "$out/python" "$out/perl" "$out/sqlalchemy" "$out/django"
tar -xJf x/linux-source-6.1/usr/src/linux-source-6.1.tar.xz --wildcards 'linux-source-6.1/Documentation/*'
(cd linux-source-6.1/Documentation && find . -type f \( -name '*.rst' -o -name '*.txt' \) -exec cp --parents {} "$out/linux/" \;)
(cd x/python3.11-doc/usr/share/doc/python3.11/html/_sources && find . -name '*.rst.txt' -exec cp --parents {} "$out/python/" \;)
cp x/perl-doc/usr/share/perl/*/pod/*.pod "$out/perl/"
(cd x/python-sqlalchemy-doc && find . -name '*.rst' -exec cp --parents {} "$out/sqlalchemy/" \;)
python3 - x/python-django-doc "$out/django" <<'PY'
import html.parser, pathlib, re, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
class Paragraphs(html.parser.HTMLParser):
    """Text of <p>, <li> and <dd> elements; code and scripts left out."""
    def __init__(self):
        super().__init__()
        self.out, self.buf, self.depth, self.skip = [], [], 0, 0
    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style", "pre")
        self.depth += tag in ("p", "li", "dd")
    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style", "pre")
        if tag in ("p", "li", "dd"):
            self.depth -= 1
            if self.depth == 0 and self.buf:
                self.out.append(re.sub(r"\s+", " ", "".join(self.buf)).strip())
                self.buf = []
    def handle_data(self, data):
        if self.depth and not self.skip:
            self.buf.append(data)
for i, page in enumerate(sorted(src.rglob("*.html"))):
    p = Paragraphs()
    p.feed(page.read_text(errors="replace"))
    (dst / f"{i:04}.txt").write_text("\n\n".join(x for x in p.out if x) + "\n")
PY
touch "$out/.complete"
echo "prose: $(du -sh "$out" | cut -f1) of text in $out"
