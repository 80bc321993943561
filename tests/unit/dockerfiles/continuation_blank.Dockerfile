FROM busybox
RUN echo a \

  # indented comment
    b   \
  c
LABEL x=y
