FROM busybox AS foo
FROM busybox AS FOO
