*.exempt.test
