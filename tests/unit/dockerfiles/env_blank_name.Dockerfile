FROM busybox
ENV a=1 =2
