#!/usr/bin/perl
# maildkim-arc.pl - ARC with Mail::DKIM: seal a message, or validate chains
#
#	maildkim-arc.pl seal NSPORT KEYFILE DOMAIN SELECTOR AUTHSERV < in > out
#	maildkim-arc.pl verify NSPORT FILE...
#
# seal validates the chain first and gives the result to the signer as
# the chain status, with an Authentication-Results field of AUTHSERV
# (the AAR's payload) put on top of the message; it prints the message
# with the new ARC set above that field. verify prints one line per
# FILE: "maildkim: FILE cv=pass|fail|none (detail)". Keys come from the
# DNS server on 127.0.0.1:NSPORT. Exit 0, 1 when sealing fails, 2 on
# usage errors.
use strict;
use warnings;
use Net::DNS;
use Mail::DKIM::DNS;
use Mail::DKIM::ARC::Signer;
use Mail::DKIM::ARC::Verifier;

sub usage {
	print STDERR "usage: maildkim-arc.pl seal NSPORT KEY DOMAIN SEL "
	    . "AUTHSERV | verify NSPORT FILE...\n";
	exit 2;
}

# crlf - the message with CRLF line ends, ending in one
sub crlf {
	my ($m) = @_;
	$m =~ s/\015?\012/\015\012/g;
	$m .= "\015\012" if length($m) && $m !~ /\015\012\z/;
	return $m;
}

# cv_of - Mail::DKIM's chain result of a message, and its detail
sub cv_of {
	my ($m) = @_;
	my $v = Mail::DKIM::ARC::Verifier->new();
	eval { $v->PRINT($m); $v->CLOSE; };
	return ('fail', "exception: $@") if $@;
	return (lc($v->result || 'none'), $v->result_detail || '');
}

usage() if @ARGV < 2 || $ARGV[1] !~ /^\d+$/;
my ($cmd, $port) = (shift @ARGV, shift @ARGV);
Mail::DKIM::DNS::resolver(Net::DNS::Resolver->new(
	nameservers => ['127.0.0.1'], port => $port, recurse => 1,
	retry => 2, udp_timeout => 3, tcp_timeout => 3));

if ($cmd eq 'verify' && @ARGV) {
	for my $f (@ARGV) {
		open(my $fh, '<:raw', $f) or die "$f: $!";
		my $m = crlf(do { local $/; <$fh> });
		close $fh;
		my ($cv, $d) = cv_of($m);
		$d =~ s/[\r\n]+/ /g;
		printf "maildkim: %s cv=%s (%s)\n", $f, $cv, substr($d, 0, 120);
	}
	exit 0;
}
usage() unless $cmd eq 'seal' && @ARGV == 4;
my ($keyfile, $domain, $sel, $srv) = @ARGV;
binmode STDIN;
binmode STDOUT;
my $m = crlf(do { local $/; <STDIN> });
my ($cv) = cv_of($m);
$m = "Authentication-Results: $srv; arc=$cv\015\012" . $m;
my $s = Mail::DKIM::ARC::Signer->new(
	Algorithm => 'rsa-sha256', Domain => $domain, Selector => $sel,
	SrvId => $srv, KeyFile => $keyfile, Chain => 'ar',
	Headers => 'from:to:cc:subject:date:message-id:mime-version');
$s->PRINT($m);
$s->CLOSE;
if (($s->result || '') ne 'sealed') {
	print STDERR "maildkim-arc: seal: ", ($s->result || '?'), " ",
	    ($s->result_detail || ''), "\n";
	exit 1;
}
print $s->as_string, $m;
exit 0;
