FROM alpine
COPY <<EOF greeting.txt
hello world
EOF
COPY --chmod=755 <<'EOF' <<"OTHER" /dir/
echo $HOME
EOF
x
OTHER
