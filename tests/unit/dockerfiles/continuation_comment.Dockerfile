FROM busybox
RUN echo hello \
# comment
world
