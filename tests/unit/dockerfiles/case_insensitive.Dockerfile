from busybox As Build
Run echo hi
cOpY a b
workdir /x
