#	  eScApE = `
  # unknowndirective=value
# syntax=ignored
FROM busybox
