ARG  CODE_VERSION=latest
ARG OTHER
FROM base:${CODE_VERSION}
CMD  /code/run-app

FROM extras:${CODE_VERSION}
ARG CODE_VERSION
CMD  /code/run-extras
