FROM busybox
RUN ["echo", "<<EOF"]
CMD <<EOF
