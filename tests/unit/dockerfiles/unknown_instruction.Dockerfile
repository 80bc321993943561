FROM busybox
RUN echo a \
  b
runn x
