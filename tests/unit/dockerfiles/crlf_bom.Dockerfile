FROM busybox
LABEL b=2 \
  c=3
RUN <<EOF
hi
EOF
