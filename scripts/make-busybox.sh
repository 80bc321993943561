#!/usr/bin/env bash
# Make busybox:latest from Debian's busybox-static, with every applet linked,
# /etc/passwd and /etc/group holding root, and CMD ["sh"]. Offline; idempotent.
#   scripts/make-busybox.sh [barge-cli...]      (default: barge)
set -euo pipefail
BARGE=("${@:-barge}")
if "${BARGE[@]}" image inspect busybox:latest >/dev/null 2>&1; then
  exit 0
fi
BB=/bin/busybox
[ -x "$BB" ] && "$BB" --list >/dev/null 2>&1 || { echo "busybox-static is not installed" >&2; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/rootfs/bin" "$d/rootfs/etc" "$d/rootfs/tmp" "$d/rootfs/root" "$d/rootfs/home" \
         "$d/rootfs/var" "$d/rootfs/usr/bin" "$d/rootfs/usr/sbin" "$d/rootfs/sbin"
chmod 755 "$d/rootfs"
chmod 1777 "$d/rootfs/tmp"
chmod 700 "$d/rootfs/root"
cp "$BB" "$d/rootfs/bin/busybox"
for a in $("$BB" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$d/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$d/rootfs/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/home:/bin/false' >> "$d/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$d/rootfs/etc/group"
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00:00 UTC' \
    -C "$d/rootfs" -cf "$d/rootfs.tar" .
"${BARGE[@]}" import \
  -c 'CMD ["sh"]' \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$d/rootfs.tar" busybox:latest >/dev/null
