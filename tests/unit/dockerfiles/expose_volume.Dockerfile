FROM busybox
EXPOSE 8080 80/udp 443
VOLUME ["/a", " "]
