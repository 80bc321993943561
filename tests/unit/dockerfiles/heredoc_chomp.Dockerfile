FROM alpine
ARG FOO=bar
COPY <<-EOT /script.sh
		echo "hello ${FOO}"
	EOT
COPY <<-"EOT" /script2.sh
	echo "hello ${FOO}"
EOT
