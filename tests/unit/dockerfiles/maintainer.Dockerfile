FROM busybox
MAINTAINER SvenDowideit <sven@home.org.au>  (the author)
