mail*.example.com
