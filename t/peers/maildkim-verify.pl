#!/usr/bin/perl
# maildkim-verify.pl - verify every DKIM signature of a message with Mail::DKIM
#
#	maildkim-verify.pl NSPORT < msg
#
# Keys come from the DNS server on 127.0.0.1:NSPORT through Net::DNS,
# which retries over TCP when a UDP answer is truncated. Prints one line
# per signature:
#	maildkim: dkim=RESULT d=DOMAIN s=SELECTOR a=ALG (detail)
# Mail::DKIM has no Ed25519: such a signature comes out as "invalid"
# (unsupported algorithm), which counts as not passing.
# Exit 0 when at least one signature passes (as dkimtool verify), 1 when
# none does, 2 on usage errors.
use strict;
use warnings;
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::Verifier;

if (@ARGV != 1 || $ARGV[0] !~ /^\d+$/) {
	print STDERR "usage: maildkim-verify.pl NSPORT < msg\n";
	exit 2;
}
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	nameservers => ['127.0.0.1'],
	port => $ARGV[0],
	recurse => 1,
	retry => 2,
	udp_timeout => 3,
	tcp_timeout => 3,
));
binmode STDIN;
my $msg = do { local $/; <STDIN> };
$msg = '' unless defined $msg;
$msg =~ s/\015?\012/\015\012/g;
# Mail::DKIM takes whole CRLF lines: a last line without its line end is
# not hashed at all. RFC 6376 section 3.4.3 adds the CRLF, so do it here.
$msg .= "\015\012" if length($msg) && $msg !~ /\015\012\z/;

my $dkim = Mail::DKIM::Verifier->new();
$dkim->PRINT($msg);
$dkim->CLOSE;
my @sigs = $dkim->signatures;
if (!@sigs) {
	print "maildkim: dkim=none (no signature)\n";
	exit 1;
}
my $npass = 0;
for my $sig (@sigs) {
	my $r = $sig->result || 'none';
	my $detail = $sig->result_detail || '';
	printf "maildkim: dkim=%s d=%s s=%s a=%s%s\n", $r,
	    $sig->domain || '?', $sig->selector || '?',
	    $sig->algorithm || '?', $r eq 'pass' ? '' : " ($detail)";
	$npass++ if $r eq 'pass';
}
exit($npass ? 0 : 1);
