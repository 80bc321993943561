FROM busybox
COPY --foo=1 a b
