#!/usr/bin/perl
# maildkim-sign.pl - sign a message with Mail::DKIM (Debian libmail-dkim-perl)
#
#	maildkim-sign.pl KEYFILE DOMAIN SELECTOR ALG CANON < msg > signed
#
# ALG must be rsa-sha256 (or rsa-sha1, to test verifiers refuse it): this
# Mail::DKIM has no Ed25519, so ed25519-sha256 exits 77 (unsupported, as
# automake's skip). CANON is header/body. KEYFILE is a PEM RSA private key.
# Environment: MAILDKIM_TIMESTAMP and MAILDKIM_EXPIRATION (Unix times)
# set t= and x=, to test expired or future signatures. Mail::DKIM hashes the
# message with CRLF line ends (bare LF is turned into CRLF first, as
# RFC 6376 section 5.3 has signers do); the message is written back
# unchanged with the DKIM-Signature on top, in the message's own line ending.
# Exit 0 signed, 1 error, 2 usage, 77 unsupported algorithm.
use strict;
use warnings;
use Mail::DKIM::Signer;

if (@ARGV != 5) {
	print STDERR "usage: maildkim-sign.pl KEYFILE DOMAIN SELECTOR ALG CANON\n";
	exit 2;
}
my ($keyfile, $domain, $selector, $alg, $canon) = @ARGV;
if ($alg ne 'rsa-sha256' && $alg ne 'rsa-sha1') {
	print STDERR "maildkim-sign.pl: $alg not supported by Mail::DKIM\n";
	exit 77;
}
binmode STDIN;
binmode STDOUT;
my $msg = do { local $/; <STDIN> };
$msg = '' unless defined $msg;
my $eol = ($msg =~ /\015\012/) ? "\015\012" : "\012";
(my $crlf = $msg) =~ s/\015?\012/\015\012/g;
# Mail::DKIM takes whole CRLF lines: a last line without its line end is
# not hashed at all. RFC 6376 section 3.4.3 adds the CRLF, so do it here.
$crlf .= "\015\012" if length($crlf) && $crlf !~ /\015\012\z/;

my $signer = eval {
	Mail::DKIM::Signer->new(
		Algorithm => $alg,
		Method => $canon,
		Domain => $domain,
		Selector => $selector,
		KeyFile => $keyfile,
		($ENV{MAILDKIM_TIMESTAMP} ?
		    (Timestamp => $ENV{MAILDKIM_TIMESTAMP}) : ()),
		($ENV{MAILDKIM_EXPIRATION} ?
		    (Expiration => $ENV{MAILDKIM_EXPIRATION}) : ()),
	);
};
if (!$signer) {
	print STDERR "maildkim-sign.pl: $@";
	exit 1;
}
$signer->PRINT($crlf);
$signer->CLOSE;
my $sig = $signer->signature;
if (!$sig) {
	print STDERR "maildkim-sign.pl: no signature made\n";
	exit 1;
}
my $field = $sig->as_string;
$field =~ s/\015?\012/$eol/g;
print $field, $eol, $msg;
exit 0;
