window.fixtureApp = true;
