#!/usr/bin/env sh
# The Debian packages seqkit's text-image head needs: tesseract (OCR legibility) and the DejaVu and Liberation
# fonts (the page renderer). Installs only what is missing; as root, or through sudo when there is one. Where
# apt-get is absent or fails, it says so and exits 0: the OCR tests then skip, naming the package to install.
PACKAGES="tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-liberation"
missing=""
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system_packages.sh: no apt-get here; install$missing with your package manager for OCR and fonts" >&2
  exit 0
fi
run=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && run="sudo -n"
export DEBIAN_FRONTEND=noninteractive
if ! $run apt-get install -y -q --no-install-recommends $missing >/dev/null; then
  $run apt-get update -q >/dev/null 2>&1
  $run apt-get install -y -q --no-install-recommends $missing >/dev/null \
    || echo "system_packages.sh: could not install$missing; OCR tests will skip" >&2
fi
exit 0
