# InternalHosts refile: patterns over the address text (t/test_hosts.c)
192.168.*
!192.168.7.*
2001:DB8:*
10.0.0.0/8
