# make bench-scale's figure (bench/scale.sh): resident memory and start-up against pods watched.
# Called with tsv (scale.tsv: label, pods, annotated, list_s, ready_s, pass_s, rss_MiB, ...), png
# and base (the operator's resident MiB on the empty cluster).
set terminal pngcairo size 1000,420 font ",10"
set output png
set datafile separator "\t"
set datafile missing "NaN"
set multiplot layout 1,2 title "k8s-pod-headless-service-operator at scale (1 pod in 15 annotated)"
set logscale xy
set xrange [500:300000]
set xlabel "pods watched"
set grid
set key top left
set ylabel "MiB"
set title "resident memory, steady"
# The published Go informer figures (13-36 KiB per cached pod), from the same empty-cluster start.
plot tsv using 2:7 with linespoints lw 2 title "this operator", \
     base + x * 13 / 1024.0 with lines dt 2 title "Go informer cache, 13 KiB/pod", \
     base + x * 36 / 1024.0 with lines dt 3 title "Go informer cache, 36 KiB/pod"
set ylabel "seconds"
set title "start-up"
plot tsv using 2:5 with linespoints lw 2 title "operator start to /readyz", \
     tsv using 2:6 with linespoints lw 2 title "start to every annotated pod reconciled", \
     tsv using 2:4 with linespoints dt 2 title "API server's own paged list of the pods"
unset multiplot
