# throughput.gp - msg/s against connections, dkimd and OpenDKIM (gnuplot)
#
#	gnuplot -e "dat='plot.dat'; png='throughput.png'" bench/throughput.gp
#
# plot.dat comes from bench/bench-table.py: 2 KB messages, unix socket.
set terminal pngcairo size 900,540 noenhanced
set output png
set title "dkimd and OpenDKIM through the milter protocol, 2 KB messages, unix socket"
set xlabel "concurrent milter connections"
set ylabel "messages per second"
set logscale x 2
set xtics (1, 4, 16)
set xrange [0.8:20]
set yrange [0:*]
set key outside right
set grid
plot dat using 1:2 with linespoints lw 2 lc 1 pt 7 title "dkimd sign RSA-2048", \
     dat using 1:3 with linespoints lw 2 lc 1 pt 6 dt 2 title "OpenDKIM sign RSA-2048", \
     dat using 1:4 with linespoints lw 2 lc 2 pt 7 title "dkimd sign Ed25519", \
     dat using 1:5 with linespoints lw 2 lc 2 pt 6 dt 2 title "OpenDKIM sign Ed25519", \
     dat using 1:6 with linespoints lw 2 lc 4 pt 7 title "dkimd verify", \
     dat using 1:7 with linespoints lw 2 lc 4 pt 6 dt 2 title "OpenDKIM verify"
