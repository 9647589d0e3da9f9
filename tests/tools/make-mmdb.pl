#!/usr/bin/perl
# tests/tools/make-mmdb.pl -- write a small MaxMind DB file for the attribution tests
# (Debian's libmaxmind-db-writer-perl). Every network is on loopback (127.0.170.0/24 and
# neighbours); the AS numbers and names are the tests', shaped like the real files' records.
#
#   perl tests/tools/make-mmdb.pl LAYOUT OUT.mmdb [ALSO]
#
# ALSO (a loopback CIDR, e.g. 127.0.175.0/24): the record of 127.0.170.0/24 is given to that
# network too (bench/attr.sh: a /24 of its own where every lookup hits).
#
# LAYOUT: asn (GeoLite2-ASN), dbip-asn (DB-IP's ASN lite, IPv4 tree), country
# (GeoLite2-Country), city (GeoLite2-City), ipinfo (IPinfo's country_asn file: country is the
# ISO code), ipinfo-lite (IPinfo Lite: country_code, country the name), lacking (an ASN
# database whose records lack one field or the other), foreign (a database of another kind).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($layout, $out, $also) = @ARGV;
die "usage: make-mmdb.pl LAYOUT OUT\n" unless $layout && $out;

my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    country                        => ($layout =~ /^ipinfo/ ? 'utf8_string' : 'map'),
    registered_country             => 'map',
    city                           => 'map',
    iso_code                       => 'utf8_string',
    names                          => 'map',
    en                             => 'utf8_string',
    geoname_id                     => 'uint32',
    asn                            => 'utf8_string',
    as_name                        => 'utf8_string',
    as_domain                      => 'utf8_string',
    country_code                   => 'utf8_string',
    country_name                   => 'utf8_string',
    continent                      => 'utf8_string',
    continent_code                 => 'utf8_string',
    temperature                    => 'int32',
    wind                           => 'utf8_string',
);

my %db_type = (
    asn           => 'GeoLite2-ASN',
    'dbip-asn'    => 'DBIP-ASN-Lite (compat=GeoLite2-ASN)',
    country       => 'GeoLite2-Country',
    city          => 'GeoLite2-City',
    ipinfo        => 'ipinfo-test country_asn',
    'ipinfo-lite' => 'ipinfo-test lite',
    lacking       => 'GeoLite2-ASN',
    foreign       => 'Acme-Weather',
);
die "make-mmdb.pl: unknown layout '$layout'\n" unless $db_type{$layout};

my @nets;
if ($layout eq 'asn' || $layout eq 'dbip-asn') {
    @nets = (
        ['127.0.170.0/24', {autonomous_system_number => 37963,
                            autonomous_system_organization => 'Hangzhou Alibaba Advertising Co.,Ltd.'}],
        ['127.0.171.0/25', {autonomous_system_number => 16509,
                            autonomous_system_organization => 'AMAZON-02'}],
        ['127.0.172.0/24', {autonomous_system_number => 64512,
                            autonomous_system_organization => "Test \x{00e9}tablissement"}],
    );
} elsif ($layout eq 'country' || $layout eq 'city') {
    my %cn = (iso_code => 'CN', geoname_id => 1814991, names => {en => 'China'});
    @nets = (
        ['127.0.170.0/24', {country => \%cn, registered_country => \%cn,
                            ($layout eq 'city' ? (city => {names => {en => 'Hangzhou'}}) : ())}],
        ['127.0.171.0/24', {registered_country => {iso_code => 'US', names => {en => 'United States'}}}],
        ['127.0.172.0/24', {country => {iso_code => 'xx1'}}],
    );
} elsif ($layout eq 'ipinfo') {
    @nets = (
        ['127.0.170.0/24', {country => 'SG', country_name => 'Singapore', continent => 'AS',
                            asn => 'AS45090', as_name => 'Shenzhen Tencent Computer Systems Company Limited',
                            as_domain => 'tencent.com'}],
    );
} elsif ($layout eq 'ipinfo-lite') {
    @nets = (
        ['127.0.170.0/24', {country_code => 'DE', country => 'Germany', continent_code => 'EU',
                            asn => 'AS24940', as_name => 'Hetzner Online GmbH', as_domain => 'hetzner.com'}],
    );
} elsif ($layout eq 'lacking') {
    @nets = (
        ['127.0.170.0/24', {autonomous_system_organization => 'No Number Ltd'}],
        ['127.0.171.0/24', {autonomous_system_number => 64513}],
    );
} else {
    @nets = (['127.0.170.0/24', {temperature => 20, wind => 'NE'}]);
}

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => ($layout eq 'dbip-asn' ? 4 : 6),
    record_size              => 24,
    database_type            => $db_type{$layout},
    languages                => ['en'],
    description              => {en => "ajar test database ($layout)"},
    map_key_type_callback    => sub { $types{$_[0]} },
    remove_reserved_networks => 0,
    ($layout eq 'dbip-asn' ? () : (alias_ipv6_to_ipv4 => 1)),
);
if ($also) {
    die "make-mmdb.pl: ALSO must be a 127.x.y.z/n network\n" unless $also =~ m{^127\.\d+\.\d+\.\d+/\d+$};
    my @first = grep { $_->[0] eq '127.0.170.0/24' } @nets;
    push @nets, [$also, $first[0][1]] if @first;
}
$tree->insert_network(@$_) for @nets;
open my $fh, '>:raw', $out or die "make-mmdb.pl: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "make-mmdb.pl: $out: $!\n";
