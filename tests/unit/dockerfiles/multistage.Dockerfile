FROM --platform=linux/amd64 golang AS Build
RUN go build -o /myapp ./cmd
FROM build AS dev
FROM scratch
COPY --from=Build /myapp /usr/bin/
