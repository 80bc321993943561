FROM busybox
CMD [ "echo", "$HOME" ]
RUN ["c:\windows\system32\tasklist.exe"]
ENTRYPOINT ['single', 'quotes']
CMD []
ENTRYPOINT  ["b", "c"]  trailing
SHELL ["/bin/bash", "-c"]
VOLUME ["/data", "/logs"]
VOLUME /var/log /var/db
COPY ["a b", "/dest dir/"]
