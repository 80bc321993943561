FROM busybox
ENV a=1 \
