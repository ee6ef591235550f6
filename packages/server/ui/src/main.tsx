import { render } from 'preact';
import { App } from './app.js';
import { takeTokenFromFragment } from './token.js';
import './style.css';

// Before anything else: the token leaves the address bar (and this history entry) at once.
takeTokenFromFragment();

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
