FROM debian
RUN <<EOT bash
  set -ex
  apt-get update
EOT
RUN <<EOT
  mkdir -p foo/bar
EOT
CMD ["done"]
