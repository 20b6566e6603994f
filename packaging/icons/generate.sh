#!/usr/bin/env sh
# Renders every app icon from the one source, assets/icon.svg: the hicolor PNGs (16..512 px, used
# by the .deb, the AppImage, the macOS package and the window itself), the scalable SVG and the
# Windows .ico. Run it after editing assets/icon.svg and commit what it writes; the test
# `icons_are_rendered_from_the_current_source` (tests/packaging.rs) fails until you do.
#
#   packaging/icons/generate.sh           render into packaging/icons/
#   packaging/icons/generate.sh --check   render into a temp dir and compare with the committed
#                                         files pixel by pixel (what CI runs)
#
# Needs rsvg-convert and ImageMagick's convert/compare
# (Debian/Ubuntu: apt-get install librsvg2-bin imagemagick; macOS: brew install librsvg imagemagick).
set -eu
cd "$(dirname "$0")/../.."

app_id=io.github.writebacksetup.WritebackSetup
source_svg=assets/icon.svg
sizes="16 24 32 48 64 128 256 512"

for tool in rsvg-convert convert compare; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing: apt-get install librsvg2-bin imagemagick (or brew install librsvg imagemagick)" >&2
    exit 1
  }
done

# render_into DIR: writes DIR/hicolor/..., DIR/windows/$app_id.ico and DIR/source.sha256.
render_into() {
  dir=$1
  for size in $sizes; do
    mkdir -p "$dir/hicolor/${size}x${size}/apps"
    rsvg-convert --width "$size" --height "$size" --format png \
      --output "$dir/hicolor/${size}x${size}/apps/$app_id.png" "$source_svg"
  done
  mkdir -p "$dir/hicolor/scalable/apps"
  cp "$source_svg" "$dir/hicolor/scalable/apps/$app_id.svg"
  # Windows: one .ico holding the sizes Explorer and the installer use.
  mkdir -p "$dir/windows"
  convert $(for size in 16 24 32 48 64 256; do echo "$dir/hicolor/${size}x${size}/apps/$app_id.png"; done) \
    "$dir/windows/$app_id.ico"
  # The fingerprint of the source these files came from, checked by the tests.
  if command -v sha256sum >/dev/null; then sha256="sha256sum"; else sha256="shasum -a 256"; fi
  $sha256 "$source_svg" | cut -d' ' -f1 > "$dir/source.sha256"
}

if [ "${1:-}" = "--check" ]; then
  fresh=$(mktemp -d)
  trap 'rm -rf "$fresh"' EXIT
  render_into "$fresh"
  stale=""
  cmp -s "$fresh/source.sha256" packaging/icons/source.sha256 || stale="$stale source.sha256"
  cmp -s "$fresh/hicolor/scalable/apps/$app_id.svg" "packaging/icons/hicolor/scalable/apps/$app_id.svg" || stale="$stale scalable"
  for size in $sizes; do
    png="hicolor/${size}x${size}/apps/$app_id.png"
    # Pixels, not bytes: another rsvg-convert version may encode the same picture differently.
    differing=$(compare -metric AE -fuzz 3% "$fresh/$png" "packaging/icons/$png" null: 2>&1) || true
    [ "$differing" = "0" ] || stale="$stale ${size}px($differing)"
  done
  if [ -n "$stale" ]; then
    echo "icons are out of date with $source_svg:$stale; run packaging/icons/generate.sh and commit" >&2
    exit 1
  fi
  echo "icons are up to date with $source_svg"
  exit 0
fi

render_into packaging/icons
echo "icons rendered from $source_svg into packaging/icons/"
