# syntax=docker/dockerfile:1

FROM busybox
RUN <<EOF
echo one
EOF
RUN echo two \
  three
ENV A=1
BOGUS thing
