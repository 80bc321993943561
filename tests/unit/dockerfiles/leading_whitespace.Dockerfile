        # this is a comment-line
    RUN echo hello
RUN echo world
