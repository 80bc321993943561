# About my dockerfile
# escape=`
FROM busybox
