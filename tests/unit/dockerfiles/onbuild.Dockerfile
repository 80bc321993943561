FROM busybox
ONBUILD ADD . /app/src
onbuild   RUN /usr/local/bin/python-build --dir /app/src   
ONBUILD COPY --from=build /usr/bin/app /app
ONBUILD RUN ["echo", "json"]
