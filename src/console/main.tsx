// The console's entry: the session first (finishing a login, or a silent one), then the frame.
import { render } from 'preact';
import { App } from './app.js';
import { startSession } from './auth/session.js';
import './styles.css';

startSession().then(() => render(<App />, document.getElementById('app')!));
