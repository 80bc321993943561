FROM busybox
COPY --from=build --chown=1:1 --chmod=755 --link a b /dest/
COPY --chown="a b" --from='c' x y
RUN -- --not-a-flag
RUN --mount=type=cache,target=/root/.cache --network=none make
ADD --keep-git-dir=true --checksum=sha256:24454f8 https://example.com/x.tgz /
