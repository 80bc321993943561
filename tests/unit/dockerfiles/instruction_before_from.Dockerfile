ARG x
ENV a=b
FROM busybox
