FROM busybox
ONBUILD from alpine
